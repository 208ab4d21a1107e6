module github.com/zkfs/zkfs/bench/zkbench

go 1.26.0

replace github.com/zkfs/zkfs => ../..

require (
	github.com/go-zookeeper/zk v1.0.4
	github.com/zkfs/zkfs v0.0.0-00010101000000-000000000000
)
