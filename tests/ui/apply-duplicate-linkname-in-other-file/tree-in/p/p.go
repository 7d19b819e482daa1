// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

func plain() int { return 1 }

func other() int { return 2 }
