// Package adminclient dials Flyte Admin over gRPC the way flytectl does: TLS unless the config
// says insecure, tokens only when the server has auth on, a deadline per attempt and bounded
// retries on transient codes. Collectors use the returned Conn as a grpc.ClientConnInterface.
package adminclient
