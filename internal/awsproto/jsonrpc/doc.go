// Package jsonrpc is the awsJson1.1 codec Cognito Identity speaks: one POST endpoint, the operation
// named by the X-Amz-Target header, input and output as JSON documents in the model's member names,
// and errors as a `__type`/`message` body. The error code is sent both in the body and in the
// x-amzn-ErrorType header because botocore reads only the former and SDK Go v2 prefers the latter;
// sending both, always in agreement, is what makes both clients map errors to their typed
// exceptions. Document encoding itself lives in jsonvalue and the HTTP framing in httpwire, both
// shared with the restJson1 codec.
package jsonrpc
