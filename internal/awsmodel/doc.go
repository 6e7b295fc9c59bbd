// Package awsmodel loads the botocore service models embedded in the binary (copied verbatim from
// the AWS SDKs' botocore models) and derives from them everything the protocol layer needs: operations, shapes in
// member order, error traits, and table-driven validation of required, length, range, pattern,
// enum and union constraints with AWS's own messages. Bind and Unbind move between the codecs'
// generic value trees and the typed request and response structs the API tables use.
package awsmodel
