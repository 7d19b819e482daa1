module example.com/]0;ownedx

go 1.22
