// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

type T struct{}

func (*T) m() int { return 1 }

func badlinkname_T_m(t *T) int { return t.m() }
