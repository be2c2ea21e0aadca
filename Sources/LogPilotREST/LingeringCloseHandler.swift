import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Ends connections cleanly when the server answers before it has read the whole request body: the response gets
/// `Connection: close`, the rest of the body is read and thrown away within a bound of bytes and time, then the
/// connection closes. The decisions are `LingeringClose`'s; this handler only carries them out.
///
/// It sits after the HTTP codec, so it sees request parts and response parts. While draining it asks the socket for
/// data itself: the application stops reading once it has answered.
final class LingeringCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var state: LingeringClose
    private var deadline: Scheduled<Void>?
    /// Completes when the response that started the drain is on the wire; closing before that would drop it.
    private var responseWritten: EventLoopFuture<Void>?
    private var closing = false

    init(limits: LingeringClose.Limits) {
        self.state = LingeringClose(limits: limits)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: LingeringClose.InboundAction =
            switch unwrapInboundIn(data) {
            case .head: state.requestHead()
            case .body(let buffer): state.requestBody(bytes: buffer.readableBytes)
            case .end: state.requestEnd()
            }
        switch action {
        case .forward: context.fireChannelRead(data)
        case .discard: break
        case .discardAndClose: close(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state.isDraining, !closing { context.read() }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .dataReceivedInErrorState(_, let buffer)? = error as? ByteToMessageDecoderError {
            switch state.bytesAfterParserError(buffer.readableBytes) {
            case .forward: break
            case .discard: return
            case .discardAndClose:
                close(context: context)
                return
            }
        }
        if error is HTTPParserError { state.parserError() }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if state.isDraining, let event = event as? ChannelEvent, event == .inputClosed {
            close(context: context)  // the client stopped sending: nothing left to drain
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            switch state.responseHead(status: response.status.code) {
            case .forward:
                context.write(data, promise: promise)
            case .forwardClosing:
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: promise)
            }
        case .body:
            context.write(data, promise: promise)
        case .end:
            let action = state.responseEnd()
            guard action != .none else {
                context.write(data, promise: promise)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            responseWritten = written.futureResult
            context.write(data, promise: written)
            switch action {
            case .none: break
            case .close: close(context: context)
            case .startDraining: startDraining(context: context)
            }
        }
    }

    private func startDraining(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(state.limits.maxDuration)) {
            let (handler, context) = loopBound.value
            handler.close(context: context)
        }
        context.read()
    }

    /// Closes once the response is written (at once when it already is).
    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        deadline?.cancel()
        deadline = nil
        guard let responseWritten else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        responseWritten.whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
