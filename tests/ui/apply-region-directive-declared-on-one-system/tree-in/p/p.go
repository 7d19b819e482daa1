package p

func other() int { return 2 }
