package p

// café au lait
var x = 1
