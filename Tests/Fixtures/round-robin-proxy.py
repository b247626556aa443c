#!/usr/bin/env python3
"""A tiny TCP load balancer for the multi-instance tests: each new connection goes to the next backend in
turn; a backend that refuses the connection (a killed instance) is skipped for the next one.

Usage: round-robin-proxy.py PORT1 PORT2 ...   (all on 127.0.0.1; listens on a free loopback port and
prints `listening on http://127.0.0.1:PORT` first). SIGUSR1 starts the turn again at the first backend, so
a test knows where the next connection goes. Stops on SIGTERM.
"""
import itertools
import signal
import socket
import sys
import threading

backends = [int(port) for port in sys.argv[1:]]
turn = itertools.cycle(range(len(backends)))
lock = threading.Lock()


def restart_turn(*_):
    global turn
    with lock:
        turn = itertools.cycle(range(len(backends)))


signal.signal(signal.SIGUSR1, restart_turn)
# A test process may hand its children a mask that blocks these; stop on SIGTERM and hear SIGUSR1 anyway.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGUSR1})


def pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def connect():
    with lock:
        order = [next(turn) for _ in backends]
    for index in order:
        try:
            return socket.create_connection(("127.0.0.1", backends[index]), timeout=5)
        except OSError:
            continue
    return None


def serve(client):
    upstream = connect()
    if upstream is None:
        client.close()
        return
    upstream.settimeout(None)
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    pipe(client, upstream)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
print(f"listening on http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
