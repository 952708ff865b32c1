// Package compat holds the comparison of ClickHouse 18.16 with a current release
// (compat_test.go, build tag "compat"), run by `make test-compat` through scripts/compat.sh: every
// migration, the demo data, and every query the read layer sends, with equal results required.
package compat
