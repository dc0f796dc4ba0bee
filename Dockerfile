# A static poolbench in an image of its own (deploy/kubernetes runs it):
#   docker build -t poolbench:latest .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/poolbench ./cmd/poolbench

# Nothing but the binary: no shell, no libc (CGO_ENABLED=0 links it
# statically). It runs as nobody; the servers listen above 1024.
FROM scratch
COPY --from=build /out/poolbench /poolbench
USER 65534:65534
ENTRYPOINT ["/poolbench"]
