module example.com/m // Deprecated: use example.com/n

go 1.22
