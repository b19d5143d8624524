// A js-ipfs node that answers the Kubo RPC API on the loopback interface, for the `ipfs` tests.
//
// Usage: node scripts/ipfs/node.mjs REPO_DIR [PORT]
//   REPO_DIR  where the node keeps its blocks (created if missing)
//   PORT      API port on 127.0.0.1 (default 0 = any free port)
// Prints one line `API /ip4/127.0.0.1/tcp/<port>` on stdout when it is ready, then serves until
// SIGTERM/SIGINT. The node is offline: libp2p is never started, so it neither dials nor listens
// for peers (`jsipfs daemon` would try to, and hangs here).

// ipfs-core's dependencies call Promise.withResolvers, which node 20 lacks.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}

const { create } = await import('ipfs-core')
const { HttpApi } = await import('ipfs-http-server')

const repo = process.argv[2]
const port = Number(process.argv[3] ?? '0')
if (!repo) {
  process.stderr.write('usage: node node.mjs REPO_DIR [PORT]\n')
  process.exit(2)
}

const ipfs = await create({
  repo,
  offline: true,
  silent: true,
  start: true,
  init: { algorithm: 'Ed25519' },
  preload: { enabled: false },
  config: {
    Addresses: { API: `/ip4/127.0.0.1/tcp/${port}`, Gateway: '', Swarm: [] },
    Bootstrap: [],
    Discovery: { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } }
  }
})

const api = new HttpApi(ipfs)
await api.start()
const address = api._apiServers[0].info
process.stdout.write(`API /ip4/127.0.0.1/tcp/${address.port}\n`)

let stopping = false
async function stop () {
  if (stopping) return
  stopping = true
  try {
    await api.stop()
    await ipfs.stop()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
