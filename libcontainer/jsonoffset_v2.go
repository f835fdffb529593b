//go:build goexperiment.jsonv2

package libcontainer

// syntaxOffset is where encoding/json's SyntaxError.Offset points from
// the offending byte: at it in the json/v2 implementation (the build's).
const syntaxOffset = 0
