# smegraph: a static, non-root image. Build: docker build -t smegraph .
# Run:   docker run -p 8080:8080 -v smegraph-data:/data smegraph          (embedded database)
#        docker run -p 8080:8080 -e MONGODB_URI=... smegraph --production  (a MongoDB replica set)

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# FerretDB's SQLite is pure Go (modernc.org/sqlite), so the binary needs no C library.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/smegraph . \
 && mkdir -p /out/data && chown 65532:65532 /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/smegraph /smegraph
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SMEGRAPH_DATA_DIR=/data SMEGRAPH_ADDR=:8080
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/smegraph"]
