module github.com/gracekit/grace

go 1.26
