// Package q declares a function that package p defines.
package q

func hidden() int

// Hidden calls the function p pushes.
func Hidden() int { return hidden() }
