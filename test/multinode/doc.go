// Package multinode runs several `latchkey serve` processes of the real binary on one PostgreSQL
// database, as a deployment behind a load balancer does, and drives them with the AWS SDK for Go
// v2: credentials minted by one node verify on another, IAM changes and key rotations reach every
// node within the documented bounds, races between nodes are decided by the database, and a
// database outage turns into ServiceUnavailable answers and heals by itself. The tests start
// throwaway PostgreSQL clusters of their own through scripts/pg.sh, because the outage test stops
// and starts the server.
package multinode
