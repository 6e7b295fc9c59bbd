// Package quicksightapi is the QuickSight operation table: it binds the restJson1 codec's decoded
// requests to the quicksight domain service and shapes its results as the model's outputs, with
// Status (the HTTP status line) and RequestId filled in.
package quicksightapi
