//go:build !goexperiment.jsonv2

package libcontainer

// syntaxOffset is where encoding/json's SyntaxError.Offset points from
// the offending byte: one past it in the v1 implementation.
const syntaxOffset = 1
