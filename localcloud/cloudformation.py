"""CloudFormation stacks that fail, roll back and delete as AWS's do."""


def install():
    pass
