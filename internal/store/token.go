package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// tokensColl holds API tokens, by the hash of the secret only.
const tokensColl = "tokens"

// The roles of a token.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
)

// Token is an API token as stored: never the secret, only its SHA-256.
type Token struct {
	Hash      string     `bson:"_id"`
	Name      string     `bson:"name"`
	Role      string     `bson:"role"`
	Countries []string   `bson:"countries"` // alpha-2 codes an editor may change
	CreatedAt time.Time  `bson:"createdAt"`
	RevokedAt *time.Time `bson:"revokedAt"`
}

// HashToken returns the stored form of a token's secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken stores a new token and returns its secret ("smg_" and 43 base64url characters),
// which exists nowhere else. Names are unique.
func (s *Store) CreateToken(ctx context.Context, name, role string, countries []string, now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	secret := "smg_" + base64.RawURLEncoding.EncodeToString(b)
	t := Token{Hash: HashToken(secret), Name: name, Role: role, Countries: countries, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	if t.Countries == nil {
		t.Countries = []string{}
	}
	if _, err := s.db.Collection(tokensColl).InsertOne(ctx, t); mongo.IsDuplicateKeyError(err) {
		return "", fmt.Errorf("a token named %q exists already", name)
	} else if err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return secret, nil
}

// TokenBySecret returns the live (not revoked) token with the given secret, or ErrNotFound.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*Token, error) {
	return findOne[Token](ctx, s.db.Collection(tokensColl), bson.D{{Key: "_id", Value: HashToken(secret)}, {Key: "revokedAt", Value: nil}})
}

// Tokens lists every token, by name.
func (s *Store) Tokens(ctx context.Context) ([]*Token, error) {
	return findAll[Token](ctx, s.db.Collection(tokensColl), bson.D{}, bson.D{{Key: "name", Value: 1}})
}

// RevokeToken revokes the live token named name, at once; ErrNotFound when there is none.
// The revoked token is renamed "<name> (revoked <time>)", so the name can be given to a new
// token.
func (s *Store) RevokeToken(ctx context.Context, name string, now time.Time) error {
	now = now.UTC().Truncate(time.Millisecond)
	res, err := s.db.Collection(tokensColl).UpdateOne(ctx, bson.D{{Key: "name", Value: name}, {Key: "revokedAt", Value: nil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: now}, {Key: "name", Value: name + " (revoked " + now.Format(time.RFC3339Nano) + ")"}}}})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}
