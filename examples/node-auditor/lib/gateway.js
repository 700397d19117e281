// A gRPC client of the gateway built only from the shipped protos (services/proto/zkgate/v1).

import { readFileSync } from "node:fs";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

export class ConnectError extends Error {}

/** A failed RPC: keeps the gRPC status name and the gateway's message. */
export class RpcError extends Error {
  constructor(method, err) {
    const code = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || String(err.code);
    super(`${method}: ${code}: ${err.details || err.message}`);
    this.code = code;
  }
}

export class Gateway {
  /**
   * @param {string} address HOST:PORT
   * @param {object} options protoDir, timeoutMs, token (bearer), ca/cert/key (PEM files for TLS), serverName
   */
  constructor(address, options) {
    const definition = protoLoader.loadSync(["zkgate/v1/study.proto", "zkgate/v1/audit.proto"], {
      includeDirs: [options.protoDir],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const v1 = grpc.loadPackageDefinition(definition).zkgate.v1;
    let credentials;
    const channelOptions = { "grpc.max_receive_message_length": 64 << 20 };
    if (options.ca) {
      credentials = grpc.credentials.createSsl(
        readFileSync(options.ca),
        options.key ? readFileSync(options.key) : null,
        options.cert ? readFileSync(options.cert) : null,
      );
      if (options.serverName) channelOptions["grpc.ssl_target_name_override"] = options.serverName;
    } else {
      credentials = grpc.credentials.createInsecure();
    }
    if (options.token) {
      const callCredentials = grpc.credentials.createFromMetadataGenerator((_, callback) => {
        const metadata = new grpc.Metadata();
        metadata.add("authorization", `Bearer ${options.token}`);
        callback(null, metadata);
      });
      if (options.ca) {
        credentials = grpc.credentials.combineChannelCredentials(credentials, callCredentials);
      } else {
        this.metadata = new grpc.Metadata();
        this.metadata.add("authorization", `Bearer ${options.token}`);
      }
    }
    this.metadata = this.metadata || new grpc.Metadata();
    this.timeoutMs = options.timeoutMs;
    this.study = new v1.StudyService(address, credentials, channelOptions);
    this.audit = new v1.AuditService(address, credentials, channelOptions);
  }

  deadline() {
    return new Date(Date.now() + this.timeoutMs);
  }

  async connect(timeoutMs) {
    await new Promise((resolve, reject) => {
      this.study.waitForReady(new Date(Date.now() + timeoutMs), (err) => (err ? reject(new ConnectError(err.message)) : resolve()));
    });
  }

  unary(service, method, request) {
    return new Promise((resolve, reject) => {
      service[method](request, this.metadata, { deadline: this.deadline() }, (err, reply) => {
        if (err) reject(new RpcError(method, err));
        else resolve(reply);
      });
    });
  }

  /** A server-streaming RPC of Chunk messages, concatenated. */
  chunks(service, method, request) {
    return new Promise((resolve, reject) => {
      const parts = [];
      const call = service[method](request, this.metadata, { deadline: this.deadline() });
      call.on("data", (chunk) => parts.push(chunk.data));
      call.on("error", (err) => reject(new RpcError(method, err)));
      call.on("end", () => resolve(new Uint8Array(Buffer.concat(parts))));
    });
  }

  gatewayInfo() {
    return this.unary(this.study, "GetGatewayInfo", {});
  }

  getStudy(studyId) {
    return this.unary(this.study, "GetStudy", { study_id: studyId });
  }

  publicRecord(studyId) {
    return this.chunks(this.study, "GetPublicRecord", { study_id: studyId });
  }

  release(studyId) {
    return this.unary(this.study, "GetRelease", { study_id: studyId });
  }

  treeHead() {
    return this.unary(this.audit, "GetTreeHead", {});
  }

  async entries(start, end) {
    const out = [];
    for (let s = start; s < end; s += 1000) {
      const reply = await this.unary(this.audit, "GetEntries", { start: String(s), end: String(Math.min(end, s + 1000)) });
      out.push(...reply.entries);
    }
    return out;
  }

  inclusionProof(leafIndex, treeSize) {
    return this.unary(this.audit, "GetInclusionProof", { leaf_index: String(leafIndex), tree_size: String(treeSize) });
  }

  consistencyProof(firstSize, secondSize) {
    return this.unary(this.audit, "GetConsistencyProof", { first_size: String(firstSize), second_size: String(secondSize) });
  }

  close() {
    this.study.close();
    this.audit.close();
  }
}
