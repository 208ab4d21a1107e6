module github.com/zkfs/zkfs/bench/fsbench

go 1.26.0

replace github.com/zkfs/zkfs => ../..

require (
	github.com/go-zookeeper/zk v1.0.4
	golang.org/x/sys v0.50.0
)

require (
	github.com/hanwen/go-fuse/v2 v2.12.1
	github.com/zkfs/zkfs v0.0.0-00010101000000-000000000000
)
