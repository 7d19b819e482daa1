package runtime

import _ "unsafe"

//go:linkname x
var x = "ÿ"
