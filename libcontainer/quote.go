package libcontainer

import (
	"fmt"
	"strconv"
)

// maxQuote bounds what an error quotes of a value from the config: a
// 500,000-entry list must not become megabytes on stderr.
const maxQuote = 200

// quote is s quoted, or its start and how long it is.
func quote(s string) string {
	if len(s) <= maxQuote {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:maxQuote]), len(s))
}

// quoteList is a list's first elements and how many there are.
func quoteList[T any](list []T) string {
	const shown = 8
	if len(list) <= shown {
		return fmt.Sprint(list)
	}
	return fmt.Sprintf("%v... (%d in all)", list[:shown], len(list))
}
