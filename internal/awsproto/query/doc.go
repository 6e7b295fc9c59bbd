// Package query is the awsQuery codec used by STS and IAM: it turns flattened form parameters
// (`Tags.member.1.Key=…`) into the model's value tree, and value trees or errors into the XML
// envelopes both SDKs parse. It knows nothing about what the operations mean.
package query
