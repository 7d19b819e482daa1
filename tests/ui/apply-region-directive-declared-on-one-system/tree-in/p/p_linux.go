// Package p is a tiny package for linkallow's UI tests.
package p

func plain() int { return 1 }
