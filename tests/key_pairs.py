"""Reading a downloaded private key back, to check it is the key pair EC2 holds: for several
suites."""

from cryptography.hazmat.primitives import serialization


def public_key_of(private_key_pem):
    """The OpenSSH public key (type and key) of a private key as EC2 returns it: PKCS#1 PEM for
    RSA, OpenSSH's own format for ED25519."""
    material = private_key_pem.encode()
    if material.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        private_key = serialization.load_ssh_private_key(material, password=None)
    else:
        private_key = serialization.load_pem_private_key(material, password=None)
    openssh = private_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return openssh.decode().split()


def ec2_public_key(ec2, name):
    """The public key (type and key) EC2 keeps for the key pair of that name."""
    [pair] = ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"]
    return pair["PublicKey"].split()[:2]
