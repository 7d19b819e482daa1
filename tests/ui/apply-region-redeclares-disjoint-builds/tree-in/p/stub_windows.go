package p

func badlinkname_T_m(t *T) int { return t.m() }
