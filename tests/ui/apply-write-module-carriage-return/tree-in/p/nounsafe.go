package p

func bare() int { return 7 }
