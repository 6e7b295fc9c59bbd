// Package jsonvalue is the JSON half shared by the awsJson1.1 (jsonrpc) and restJson1 (restjson)
// codecs: it reads a request body into the model's value tree, type-checking each member against
// its shape, and renders value trees back as JSON in model member order. Both protocols agree on
// the document encoding (epoch-second timestamps, base64 blobs, member names as in the model) and
// differ only in where the envelope puts things, so keeping one implementation means a timestamp
// or an integer is accepted or refused identically by Cognito and QuickSight. Decoding walks the
// token stream with an explicit nesting bound instead of unmarshalling, because request bodies
// come from unauthenticated clients (GetId is unsigned) and must not be able to exhaust the stack.
package jsonvalue
