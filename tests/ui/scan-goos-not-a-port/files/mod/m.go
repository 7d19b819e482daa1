package m

import _ "unsafe"

//go:linkname zeroVal runtime.zeroVal
var zeroVal [1024]byte
