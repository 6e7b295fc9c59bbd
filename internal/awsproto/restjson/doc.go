// Package restjson is the restJson1 codec QuickSight speaks: operations are chosen by HTTP method
// and the model's URI template, input members are spread over path labels, query parameters,
// headers and a JSON document, and output members bound to the status line (QuickSight's `Status`)
// travel as the HTTP status rather than in the body. Routing works on the escaped path because
// clients percent-encode a "/" inside a label as %2F, and splitting the decoded path would cut
// such a user name in two. The JSON document encoding is shared with the awsJson1.1 codec through
// jsonvalue, and the HTTP framing through httpwire, so both services accept and render values,
// headers and statuses identically.
package restjson
