package runtime

import _ "unsafe"

func mapaccess1() {}

//go:linknamestd stdOnly
func stdOnly() {}
