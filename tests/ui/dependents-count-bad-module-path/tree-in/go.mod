module example.com/[2Jx

go 1.22
