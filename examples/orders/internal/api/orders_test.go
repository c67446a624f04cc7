package api

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseCreate(t *testing.T) {
	good := `{"customer":"ada","items":[{"sku":"tea","quantity":2,"price_cents":450}]}`
	if c, items, err := ParseCreate([]byte(good)); err != nil || c != "ada" || len(items) != 1 {
		t.Fatalf("good body: %q %v %v", c, items, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"customer":""}`, `{"customer":"a","items":[]}`,
		`{"customer":"a","items":[{"sku":"","quantity":1}]}`,
		`{"customer":"a","items":[{"sku":"x","quantity":0}]}`,
		`{"customer":"a","items":[{"sku":"x","quantity":1,"price_cents":-1}]}`,
	} {
		if _, _, err := ParseCreate([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// FuzzParseCreate: any body is either rejected or gives an order that keeps the rules.
func FuzzParseCreate(f *testing.F) {
	f.Add([]byte(`{"customer":"ada","items":[{"sku":"tea","quantity":2,"price_cents":450}]}`))
	f.Add([]byte(`{"customer":"a","items":[{"sku":"x","quantity":10001}]}`))
	f.Add([]byte(`{"customer":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, items, err := ParseCreate(body)
		if err != nil {
			return
		}
		if c == "" || len(c) > maxCustomer || len(items) == 0 || len(items) > maxItems {
			t.Fatalf("accepted %q with %d items", c, len(items))
		}
		for _, it := range items {
			if it.SKU == "" || it.Quantity <= 0 || it.PriceCents < 0 {
				t.Fatalf("accepted item %+v", it)
			}
		}
		if _, err := json.Marshal(items); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "receipt.pdf", "A-b_c.1"} {
		if err := checkName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{".hidden", "../x", "a/b", "a b", string(make([]byte, 101))} {
		if err := checkName(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestLimitReader(t *testing.T) {
	read := func(src string, limit int64) (string, error) {
		b, err := io.ReadAll(&limitReader{r: strings.NewReader(src), left: limit})
		return string(b), err
	}
	if got, err := read("hello", 5); got != "hello" || err != nil {
		t.Fatalf("exactly the limit: %q %v", got, err)
	}
	if _, err := read("hello!", 5); !errors.Is(err, errTooLarge) {
		t.Fatalf("over the limit: %v, want errTooLarge", err)
	}
	if err := (&limitReader{r: strings.NewReader("")}).SetReadDeadline(time.Now()); err == nil {
		t.Fatal("a reader without deadlines claims to have them")
	}
}
