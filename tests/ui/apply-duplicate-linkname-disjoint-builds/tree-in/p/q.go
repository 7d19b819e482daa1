//go:build !linux

package p

import _ "unsafe"

func plain() int { return 3 }

// plain is pushed here on the other systems.
//
//go:linkname plain
