// Package awserr is the single, protocol-neutral error type of Latchkey: an AWS error code exactly
// as the service model spells it, a message a user can act on, the HTTP status and whether the
// sender or the service is at fault. Wire codecs render it in their protocol's envelope.
package awserr
