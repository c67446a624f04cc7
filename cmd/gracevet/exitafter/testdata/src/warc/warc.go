// An archive in another package whose Close only closes a bolt database.
package warc

import "go.etcd.io/bbolt"

type Archive struct{ db *bbolt.DB }

func (a *Archive) Close() { a.db.Close() } // want Close:"harmless at exit"
