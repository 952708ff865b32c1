// Package cluster holds the test of Rekkevidde on a ClickHouse cluster (cluster_test.go, build
// tag "cluster"): `make test-cluster` starts ZooKeeper and four ClickHouse servers on loopback
// (scripts/cluster.sh) and runs it. `make test` never does; it stays single-node.
package cluster
