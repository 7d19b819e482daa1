package p

import _ "unsafe"

// These should be an internal details
// but widely used packages access them using linkname.
// Do not remove or change the type signature.
// See go.dev/issue/67401.

// Notable members of the hall of shame include:
//   - example.com/delta (from assembly)
//go:linkname counter

// Widely used packages access these methods using linkname,
// most notably:
//  - example.com/alpha
//
// See go.dev/issue/67401.

//go:linkname badlinkname_T_value example.com/m/p.T.value
func badlinkname_T_value(T) int
