"""The parties' applications over the client SDK: data holder, requester and key holder homes,
study requests, certificates, the demo and the load generator."""
