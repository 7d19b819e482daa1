package p

var counter int

func (t T) value() int { return t.n + counter }
