// strconv-oracle: Go's own answers for the scalar conversions FlytePropeller's config decoding makes
// (mapstructure v2.4.0 with WeaklyTypedInput, flytestdlib's config.Duration), for podeval's differential tests.
//
// Reads JSON lines {"op": OP, "s": STRING} or {"op": "float", "f": NUMBER} on stdin, writes one JSON line each:
//
//	int       strconv.ParseInt(s, 0, 64), as mapstructure's decodeInt calls it ("" is read as "0")
//	float     strconv.FormatFloat(f, 'f', -1, 64), as mapstructure's decodeString writes a float
//	duration  time.ParseDuration(s), as config.Duration.UnmarshalJSON calls it for a string ("" is 0)
//
// Only the standard library: it builds offline with the Go toolchain alone (tests/oracle/build.sh).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
)

type request struct {
	Op string  `json:"op"`
	S  string  `json:"s"`
	F  float64 `json:"f"`
}

type answer struct {
	OK    bool   `json:"ok"`
	Value string `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "strconv-oracle: bad request:", err)
			os.Exit(2)
		}
		var a answer
		switch req.Op {
		case "int":
			s := req.S
			if s == "" {
				s = "0"
			}
			n, err := strconv.ParseInt(s, 0, 64)
			a = result(strconv.FormatInt(n, 10), err)
		case "float":
			a = answer{OK: true, Value: strconv.FormatFloat(req.F, 'f', -1, 64)}
		case "duration":
			var d time.Duration
			var err error
			if req.S != "" {
				d, err = time.ParseDuration(req.S)
			}
			a = result(strconv.FormatInt(int64(d), 10), err)
		default:
			fmt.Fprintln(os.Stderr, "strconv-oracle: unknown op", req.Op)
			os.Exit(2)
		}
		if err := out.Encode(a); err != nil {
			os.Exit(1)
		}
	}
}

func result(value string, err error) answer {
	if err != nil {
		return answer{OK: false, Error: err.Error()}
	}
	return answer{OK: true, Value: value}
}
