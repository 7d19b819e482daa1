// Package p is a tiny package for linkallow's UI tests.
package p

import _ "unsafe"

// plain returns one; a byte order mark ﻿ here makes Go refuse the file.
//
//go:linkname plain
func plain() int { return 1 }
