// Command latchkey is the Latchkey server and its administration commands.
package main
