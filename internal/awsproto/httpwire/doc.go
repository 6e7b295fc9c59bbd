// Package httpwire writes the HTTP framing the AWS JSON codecs (awsJson1.1 and restJson1) share:
// content type and length, the x-amzn-RequestId header SDKs read the request id from, the
// x-amzn-ErrorType header SDK Go v2 maps errors by, and a status line that cannot crash the
// server. The codecs decide the body and the status; this package only frames them.
package httpwire
