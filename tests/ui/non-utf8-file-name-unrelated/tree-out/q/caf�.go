package q

var y = 2
