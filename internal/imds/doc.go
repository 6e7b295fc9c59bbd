// Package imds is the EC2 instance metadata service's domain: IMDSv2 session tokens (issued for a
// TTL, HMAC-sealed, checked in constant time) and the documents an instance reads about itself —
// above all the credentials of the role of its instance profile, which are ordinary role
// sessions minted by package session as the service principal ec2.amazonaws.com, so the role's
// trust policy must allow that principal (with aws:SourceAccount set to the instance's account).
// The instance profile and its role are read from the store on every request; credentials are
// kept per role and trust policy until five minutes before they expire, as EC2 refreshes them.
// It never sees HTTP: imdshttp serves it on the metadata listener.
package imds
