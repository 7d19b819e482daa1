package runtime

var zeroVal [1024]byte
