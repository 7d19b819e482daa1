package p

func hidden() int { return 3 }
