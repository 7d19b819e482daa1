package p

import _ "unsafe"

//go:linkname g0 runtime.g0
var g0 int
